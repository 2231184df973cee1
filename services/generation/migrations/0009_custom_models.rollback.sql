DROP TABLE custom_model_images;
DROP TABLE custom_models;
