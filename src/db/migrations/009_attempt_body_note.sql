-- An endpoint may answer bytes that PostgreSQL text cannot hold (NUL, invalid UTF-8). The excerpt is
-- stored with them replaced, and this says what was replaced; NULL when the excerpt is as sent.
ALTER TABLE delivery_attempts ADD COLUMN response_body_note text;
