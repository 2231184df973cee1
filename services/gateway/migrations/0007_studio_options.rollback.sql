DROP TABLE studio_options;
