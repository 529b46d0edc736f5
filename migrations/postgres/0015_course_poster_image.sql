-- An image a teacher uploaded for the course's card and page; before the units' posters.
ALTER TABLE courses ADD COLUMN poster_asset_id TEXT REFERENCES assets(id) ON DELETE SET NULL;
