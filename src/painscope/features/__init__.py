"""Video Swin backbones, token maps, the feature-space mask and the token store."""
