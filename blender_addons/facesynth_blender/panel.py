"""View3D > Sidebar > facesynth."""

from __future__ import annotations

from typing import Any

import bpy


class FACESYNTH_UL_expression_map(bpy.types.UIList):
    def draw_item(self, _context: Any, layout: Any, _data: Any, item: Any, _icon: int, _active_data: Any,
                  _active_propname: str, _index: int = 0, _flt_flag: int = 0) -> None:
        row = layout.row(align=True)
        row.label(text=item.shape_key)
        row.prop(item, "arkit", text="")


class FACESYNTH_PT_sidebar(bpy.types.Panel):
    bl_idname = "FACESYNTH_PT_sidebar"
    bl_label = "facesynth"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "facesynth"

    def draw(self, context: Any) -> None:
        st = context.scene.facesynth
        layout = self.layout

        box = layout.box()
        box.label(text="Recipe", icon="FILE_TEXT")
        box.prop(st, "recipe_path", text="")
        box.prop(st, "overrides")
        box.operator("facesynth.load_recipe", icon="FILEBROWSER").filepath = st.recipe_path  # browser opens there
        row = box.row(align=True)
        row.operator("facesynth.previous_sample", text="", icon="TRIA_LEFT")
        row.prop(st, "sample_index")
        row.operator("facesynth.next_sample", text="", icon="TRIA_RIGHT")
        box.operator("facesynth.build_sample", icon="MESH_DATA")
        box.label(text=f"{st.sample_count} samples")
        if st.sample_info:
            box.label(text=st.sample_info)

        box = layout.box()
        box.label(text="Expression map", icon="SHAPEKEY_DATA")
        box.prop(st, "character_path")
        box.operator("facesynth.guess_expression_map", icon="VIEWZOOM")
        box.template_list("FACESYNTH_UL_expression_map", "", st, "expression_map", st, "expression_map_index")
        box.operator("facesynth.write_expression_map", icon="FILE_TICK")


CLASSES = (FACESYNTH_UL_expression_map, FACESYNTH_PT_sidebar)
