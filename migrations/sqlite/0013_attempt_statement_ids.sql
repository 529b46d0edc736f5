-- An attempt's statement id is its identity for a resend (a guest's answers sent again after
-- signing in): at most one attempt per id.
CREATE UNIQUE INDEX quiz_attempts_statement ON quiz_attempts (statement_id);
