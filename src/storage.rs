//! Every stored byte goes through `object_store`, so the same code talks to the local `media/`
//! folder or any S3-compatible store.

use std::sync::Arc;

use anyhow::Context;
use object_store::{
    aws::AmazonS3Builder, local::LocalFileSystem, path::Path, prefix::PrefixStore, ObjectStore,
};

use crate::config::{S3Options, StoreLocation};

#[derive(Clone, Debug)]
pub struct Store {
    inner: Arc<dyn ObjectStore>,
    location: StoreLocation,
}

impl Store {
    pub fn open(location: &StoreLocation, s3: &S3Options) -> anyhow::Result<Self> {
        let inner: Arc<dyn ObjectStore> = match location {
            StoreLocation::Local(dir) => {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating store folder {}", dir.display()))?;
                Arc::new(
                    LocalFileSystem::new_with_prefix(dir)
                        .with_context(|| format!("opening store folder {}", dir.display()))?,
                )
            }
            StoreLocation::S3 { bucket, prefix } => {
                let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
                if let Some(v) = &s3.endpoint {
                    builder = builder.with_endpoint(v);
                }
                if let Some(v) = &s3.access_key_id {
                    builder = builder.with_access_key_id(v);
                }
                if let Some(v) = &s3.secret_access_key {
                    builder = builder.with_secret_access_key(v.expose());
                }
                if let Some(v) = &s3.region {
                    builder = builder.with_region(v);
                }
                if let Some(v) = s3.allow_http {
                    builder = builder.with_allow_http(v);
                }
                let s3 = builder
                    .build()
                    .context("configuring the S3 store from AWS_* variables")?;
                if prefix.is_empty() {
                    Arc::new(s3)
                } else {
                    Arc::new(PrefixStore::new(s3, prefix.as_str()))
                }
            }
        };
        Ok(Self {
            inner,
            location: location.clone(),
        })
    }

    pub fn object_store(&self) -> &Arc<dyn ObjectStore> {
        &self.inner
    }

    pub fn location(&self) -> &StoreLocation {
        &self.location
    }

    /// Reachable and authorised: a HEAD of a key that need not exist.
    pub async fn ping(&self) -> Result<(), object_store::Error> {
        match self.inner.head(&Path::from(".caravan-ready")).await {
            Ok(_) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }
}
