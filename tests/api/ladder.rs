//! Video and audio through the whole pipeline: upload → probe → one-pass ladder → HLS.
