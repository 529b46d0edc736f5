//! Caravan: a learning-content delivery server for micro-courses.
#![forbid(unsafe_code)]

pub mod accounts;
pub mod app;
pub mod audit;
pub mod authz;
pub mod backup;
pub mod blobs;
pub mod catalogue;
pub mod cli;
pub mod config;
pub mod consortia;
pub mod context;
pub mod credentials;
pub mod db;
pub mod delivery;
pub mod error;
pub mod html;
pub mod http;
pub mod import;
pub mod jobs;
pub mod lrs;
pub mod mail;
pub mod media;
pub mod orgs;
pub mod packages;
pub mod progress;
pub mod quizzes;
pub mod registration;
pub mod reports;
pub mod sealer;
pub mod seed;
pub mod spreadsheet;
pub mod storage;
pub mod telemetry;
pub mod training;
pub mod uploads;
pub mod values;

pub use app::Application;
pub use config::{Settings, StoreLocation};
pub use context::Context;
pub use http::AppState;
