// Filled in with the OpenCV image-folder reader.
