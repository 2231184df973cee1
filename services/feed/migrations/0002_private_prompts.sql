-- A private or deleted image's prompt never stays in the feed (ARCHITECTURE.md §3): erase those an
-- older feed kept, and let the database refuse any row that would hold one again.
UPDATE images SET prompt = '' WHERE prompt <> '' AND (visibility <> 'public' OR deleted);
ALTER TABLE images ADD CONSTRAINT images_prompt_only_while_public
    CHECK (prompt = '' OR (visibility = 'public' AND NOT deleted));
