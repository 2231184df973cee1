-- An undoable deletion: the authority hides the images at once, the rows and objects stay until
-- this moment (the undo window), then the deletion sweep removes them (services/generation/deletion.py).
ALTER TABLE generations ADD COLUMN delete_after TIMESTAMPTZ;
CREATE INDEX generations_delete_due ON generations (delete_after) WHERE delete_after IS NOT NULL;
