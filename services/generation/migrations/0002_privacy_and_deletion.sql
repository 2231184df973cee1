-- whether the owner's plan included private generation when the generation was accepted
ALTER TABLE generations ADD COLUMN privacy_entitled BOOLEAN NOT NULL DEFAULT false;
