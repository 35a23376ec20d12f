"""Helpers of the camera decode pipeline (`hardware.camera_decode`): GTIN checks, image ROIs."""
