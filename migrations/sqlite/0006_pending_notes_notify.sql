-- PostgreSQL's 0006 notifies every replica when a note is kept, so each can skip looking for
-- notes while none is waiting (src/store/notes_hint.rs). With SQLite one process keeps every
-- note itself and raises its own hint: nothing to add. This file keeps the numbers aligned.
SELECT 1;
