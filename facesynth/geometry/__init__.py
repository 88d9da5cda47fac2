"""Ground truth in pure numpy: camera, head pose, rasteriser, labels and metadata (never bpy).

See docs/conventions.md for units, frames and the metadata schema.
"""

from facesynth.geometry.camera import Camera, camera_from_spec
from facesynth.geometry.labels import Labels, compute_labels
from facesynth.geometry.landmarks import Landmarks, compute_landmarks
from facesynth.geometry.lights import LightPose, light_pose
from facesynth.geometry.metadata import META_VERSION, build_metadata
from facesynth.geometry.pose import POSE_CONVENTION, Posed, angles_from_rotation, head_rotation, pose_sample
from facesynth.geometry.posmap import Posmap, crop_image, posmap_to_mesh
from facesynth.geometry.raster import Raster, rasterize

__all__ = [
    "META_VERSION",
    "POSE_CONVENTION",
    "Camera",
    "Labels",
    "Landmarks",
    "LightPose",
    "Posed",
    "Posmap",
    "Raster",
    "angles_from_rotation",
    "build_metadata",
    "camera_from_spec",
    "compute_labels",
    "compute_landmarks",
    "crop_image",
    "head_rotation",
    "light_pose",
    "pose_sample",
    "posmap_to_mesh",
    "rasterize",
]
