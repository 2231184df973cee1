DROP TABLE fixed_seeds;
