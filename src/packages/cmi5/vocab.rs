//! IRIs and names defined by the cmi5 specification.
//!
//! Section numbers refer to the cmi5 specification (Quartz edition).

// Verbs (section 9.3).

/// "Launched", LMS only (9.3.1).
pub const VERB_LAUNCHED: &str = "http://adlnet.gov/expapi/verbs/launched";
/// "Initialized", the first AU statement of a session (9.3.2).
pub const VERB_INITIALIZED: &str = "http://adlnet.gov/expapi/verbs/initialized";
/// "Completed" (9.3.3).
pub const VERB_COMPLETED: &str = "http://adlnet.gov/expapi/verbs/completed";
/// "Passed" (9.3.4).
pub const VERB_PASSED: &str = "http://adlnet.gov/expapi/verbs/passed";
/// "Failed" (9.3.5).
pub const VERB_FAILED: &str = "http://adlnet.gov/expapi/verbs/failed";
/// "Abandoned", LMS only (9.3.6).
pub const VERB_ABANDONED: &str = "https://w3id.org/xapi/adl/verbs/abandoned";
/// "Waived", LMS only (9.3.7).
pub const VERB_WAIVED: &str = "https://w3id.org/xapi/adl/verbs/waived";
/// "Terminated", the last AU statement of a session (9.3.8).
pub const VERB_TERMINATED: &str = "http://adlnet.gov/expapi/verbs/terminated";
/// "Satisfied", LMS only (9.3.9).
pub const VERB_SATISFIED: &str = "https://w3id.org/xapi/adl/verbs/satisfied";

// Context activities (section 9.6.2).

/// Category marking a "cmi5 defined" statement (9.6.2.1).
pub const CATEGORY_CMI5: &str = "https://w3id.org/xapi/cmi5/context/categories/cmi5";
/// Category of statements carrying result success or completion (9.6.2.2).
pub const CATEGORY_MOVEON: &str = "https://w3id.org/xapi/cmi5/context/categories/moveon";

// Context extensions (section 9.6.3).

/// Session id (9.6.3.1).
pub const EXT_SESSION_ID: &str = "https://w3id.org/xapi/cmi5/context/extensions/sessionid";
/// Mastery score (9.6.3.2).
pub const EXT_MASTERY_SCORE: &str = "https://w3id.org/xapi/cmi5/context/extensions/masteryscore";
/// Launch mode (9.6.3.3).
pub const EXT_LAUNCH_MODE: &str = "https://w3id.org/xapi/cmi5/context/extensions/launchmode";
/// Launch URL (9.6.3.4).
pub const EXT_LAUNCH_URL: &str = "https://w3id.org/xapi/cmi5/context/extensions/launchurl";
/// moveOn (9.6.3.6).
pub const EXT_MOVE_ON: &str = "https://w3id.org/xapi/cmi5/context/extensions/moveon";
/// Launch parameters (9.6.3.7).
pub const EXT_LAUNCH_PARAMETERS: &str =
    "https://w3id.org/xapi/cmi5/context/extensions/launchparameters";

// Result extensions (section 9.5.5).

/// Progress percentage (9.5.5.1).
pub const RESULT_PROGRESS: &str = "https://w3id.org/xapi/cmi5/result/extensions/progress";
/// Reason for a "Waived" statement (9.5.5.2).
pub const RESULT_REASON: &str = "https://w3id.org/xapi/cmi5/result/extensions/reason";

// Documents (sections 10 and 11).

/// State id of the launch data document (10).
pub const STATE_LAUNCH_DATA: &str = "LMS.LaunchData";
/// Agent profile id of the learner preferences document (11).
pub const PROFILE_LEARNER_PREFERENCES: &str = "cmi5LearnerPreferences";

// Activity types (section 9.3.9).

/// Object type of a course in "Satisfied" statements.
pub const ACTIVITY_TYPE_COURSE: &str = "https://w3id.org/xapi/cmi5/activitytype/course";
/// Object type of a block in "Satisfied" statements.
pub const ACTIVITY_TYPE_BLOCK: &str = "https://w3id.org/xapi/cmi5/activitytype/block";

/// The cmi5 xAPI profile (the id of its version 1.0 in the ADL profile
/// server; the specification text itself does not spell it).
pub const PROFILE_CMI5: &str = "https://w3id.org/xapi/cmi5/v1.0";
