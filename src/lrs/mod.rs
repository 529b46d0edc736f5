//! Caravan's xAPI Learning Record Store: who may call it, and how statements are stored.
//!
//! Two kinds of caller reach `/xapi/`: other systems with an organisation's LRS client
//! credentials (HTTP Basic, limited by scopes), and learners with their own session token, who
//! may write statements about themselves and read their own.

pub mod attachments;
pub mod clients;
pub mod definitions;
pub mod documents;
pub mod format;
pub mod identity;
pub mod query;
pub mod store;
pub mod xapi;

use serde_json::{json, Value};

use crate::accounts::User;
pub use clients::{Client, Scopes};

/// The authenticated caller of an LRS request.
#[derive(Debug, Clone)]
pub enum Principal {
    Client(Client),
    Learner(User),
}

/// Which stored statements (and documents) a caller may read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadScope {
    /// Everything written for the organisation (by its clients or about its courses).
    Org(String),
    /// What this client wrote itself (`statements/read/mine`).
    Authority(String),
    /// Statements about this learner.
    User(String),
}

impl Principal {
    /// The `authority` the LRS records on statements this caller writes.
    pub fn authority(&self, public_url: &str) -> Value {
        match self {
            Principal::Client(c) => json!({
                "objectType": "Agent",
                "name": c.name,
                "account": {"homePage": format!("{public_url}/xapi/clients"), "name": c.key},
            }),
            Principal::Learner(u) => identity::learner_agent(public_url, u),
        }
    }

    /// A stable id of the caller, stored with each statement it writes.
    pub fn authority_id(&self) -> String {
        match self {
            Principal::Client(c) => format!("client:{}", c.id),
            Principal::Learner(u) => format!("user:{}", u.id),
        }
    }

    /// The organisation a client belongs to; learners write for no single organisation.
    pub fn org_id(&self) -> Option<&str> {
        match self {
            Principal::Client(c) => Some(&c.org_id),
            Principal::Learner(_) => None,
        }
    }

    pub fn can_write_statements(&self) -> bool {
        match self {
            Principal::Client(c) => c.scopes.contains(Scopes::STATEMENTS_WRITE),
            Principal::Learner(_) => true,
        }
    }

    /// What statements this caller may read, or `None` when it may read none.
    pub fn statement_reads(&self) -> Option<ReadScope> {
        match self {
            Principal::Client(c) if c.scopes.contains(Scopes::STATEMENTS_READ) => {
                Some(ReadScope::Org(c.org_id.clone()))
            }
            Principal::Client(c) if c.scopes.contains(Scopes::STATEMENTS_READ_MINE) => {
                Some(ReadScope::Authority(format!("client:{}", c.id)))
            }
            Principal::Client(_) => None,
            Principal::Learner(u) => Some(ReadScope::User(u.id.clone())),
        }
    }

    /// May read documents (state, profiles) and activity/agent definitions.
    pub fn can_read(&self, scope: Scopes) -> bool {
        match self {
            Principal::Client(c) => c.scopes.contains(scope) || c.scopes.contains(Scopes::ALL_READ),
            Principal::Learner(_) => true,
        }
    }

    /// May write documents of this kind.
    pub fn can_write(&self, scope: Scopes) -> bool {
        match self {
            Principal::Client(c) => c.scopes.contains(scope),
            Principal::Learner(_) => true,
        }
    }

    /// The tenant whose documents (state, profiles) this caller reads and writes: an
    /// organisation's clients share theirs; each learner has their own.
    pub fn tenant(&self) -> String {
        match self {
            Principal::Client(c) => format!("org:{}", c.org_id),
            Principal::Learner(u) => format!("user:{}", u.id),
        }
    }

    /// Whose statements define activities and agents for this caller: its organisation's for a
    /// client (whose `define` or read scope was checked), a learner's own for a learner.
    pub fn definition_scope(&self) -> ReadScope {
        match self {
            Principal::Client(c) => ReadScope::Org(c.org_id.clone()),
            Principal::Learner(u) => ReadScope::User(u.id.clone()),
        }
    }
}

/// The organisation whose course a learner's statement is about (its object or a parent or
/// grouping activity names one of this server's courses or units), so that the organisation's
/// LRS clients can read it.
pub async fn org_of_statement(
    db: &crate::db::Db,
    stmt: &Value,
    public_url: &str,
) -> crate::error::Result<Option<String>> {
    let context = &stmt["context"]["contextActivities"];
    let candidates = std::iter::once(&stmt["object"])
        .chain(context["parent"].as_array().into_iter().flatten())
        .chain(context["grouping"].as_array().into_iter().flatten());
    for activity in candidates {
        let Some(id) = activity["id"].as_str() else {
            continue;
        };
        let org = match identity::local_activity(id, public_url) {
            Some(identity::LocalActivity::Course(course)) => {
                store::statements::course_org(db, course).await?
            }
            Some(identity::LocalActivity::Unit(unit)) => {
                store::statements::unit_org(db, unit).await?
            }
            None => None,
        };
        if org.is_some() {
            return Ok(org);
        }
    }
    Ok(None)
}
