-- Top of all time: liked listed images by their like count, then newest (repository.all_time_window).
CREATE INDEX images_top_all_time ON images (like_count DESC, created_at DESC, image_id DESC)
    WHERE listed AND like_count > 0;
