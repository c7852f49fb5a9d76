-- Each replica keeps a hint "a note may be waiting" so a command with nothing to hand over
-- costs no query (src/store/notes_hint.rs); a note kept by any replica raises every replica's
-- hint through this notification, sent when the inserting transaction commits.
CREATE FUNCTION slack_zoom_pending_note_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('slack_zoom_pending_notes', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER pending_note_kept AFTER INSERT ON pending_notes
    FOR EACH STATEMENT EXECUTE FUNCTION slack_zoom_pending_note_kept();
