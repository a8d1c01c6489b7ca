"""The classifier's models: S4 / S4D layers, ViS4mer, focal loss."""

from painscope.models.focal import FocalLoss, focal_loss
from painscope.models.s4 import S4, SSKernel
from painscope.models.vis4mer import ViS4mer, ViS4merConfig

__all__ = ["S4", "FocalLoss", "SSKernel", "ViS4mer", "ViS4merConfig", "focal_loss"]
