-- A course's poster: the unit whose poster it shows (NULL: its first unit with one).
ALTER TABLE courses ADD COLUMN poster_unit_id TEXT;
