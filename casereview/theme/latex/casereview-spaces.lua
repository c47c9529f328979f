-- Real spaces in the PDF's text: before each space between words, a space character of the
-- word's own font, cancelled by a kern of its width, so copying, searching and text
-- extraction read the words apart, however tightly a justified line sets them.
local GLUE, GLYPH, KERN = node.id("glue"), node.id("glyph"), node.id("kern")
local SPACESKIP, XSPACESKIP = 13, 14
local function mark_spaces(head)
  for glue in node.traverse_id(GLUE, head) do
    local before = glue.prev
    if (glue.subtype == 0 or glue.subtype == SPACESKIP or glue.subtype == XSPACESKIP)
        and before and before.id == GLYPH then
      local space = node.new(GLYPH)
      space.font, space.char = before.font, 32
      local width = space.width
      if width and width > 0 then
        local back = node.new(KERN)
        back.kern = -width
        head = node.insert_before(head, glue, space)
        head = node.insert_before(head, glue, back)
      else
        node.free(space)
      end
    end
  end
  return head
end
luatexbase.add_to_callback("pre_linebreak_filter", mark_spaces, "casereview.realspaces")
luatexbase.add_to_callback("hpack_filter", mark_spaces, "casereview.realspaces")
