ALTER TABLE images DROP CONSTRAINT images_prompt_only_while_public;
