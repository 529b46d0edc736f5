//! One integration-test binary: the real server on an ephemeral port, against SQLite and
//! PostgreSQL, with a fresh database and store for every test.

mod support;

mod authz_matrix;
mod authz_rows;
mod authz_rows_credentials;
mod authz_rows_lrs;
mod backup;
mod bad_input;
mod browser;
mod catalogue;
mod cli;
mod consortia;
mod crash;
mod credentials;
mod credit_account;
mod delivery;
mod guests;
mod health;
mod hls_players;
mod import;
mod jobs;
mod ladder;
mod members;
mod offline;
mod offline_sync;
mod pages;
mod progress;
mod quizzes;
mod registration;
mod reports;
mod security;
mod security_browser;
mod security_data;
mod security_sessions;
mod sessions;
mod stores;
mod tus_clients;
mod uploads;
mod visibility;
mod xapi_alternate;
mod xapi_definitions;
mod xapi_document_access;
mod xapi_documents;
mod xapi_queries;
mod xapi_statements;
