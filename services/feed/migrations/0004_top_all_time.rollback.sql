DROP INDEX images_top_all_time;
