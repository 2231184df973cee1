-- The prompt's words the model said it cannot draw (the built-in model's world has none of them):
-- the owner's generation view says so. Empty for earlier generations and for a mounted model.
ALTER TABLE generations ADD COLUMN unknown_prompt_words TEXT[] NOT NULL DEFAULT '{}';
