-- What Quarto's own Lua filters do to the Markdown of an executed notebook before Pandoc writes
-- HTML or Typst, for the test stand-in of Quarto (tests/quarto_mimic.py). Each part names the
-- Quarto feature it stands for; none of Quarto's code is used.

local is_html = FORMAT:match("html") ~= nil

-- Conditional content (https://quarto.org/docs/authoring/conditional.html): a div with
-- .content-visible/.content-hidden and when-format/unless-format.
local function format_matches(value)
  if value == nil then return nil end
  for name in tostring(value):gmatch("[^%s,]+") do
    if name == FORMAT or (name == "html" and is_html) or (name == "pdf" and FORMAT == "typst") then
      return true
    end
  end
  return false
end

local function conditional(div)
  local visible = div.classes:includes("content-visible")
  local hidden = div.classes:includes("content-hidden")
  if not (visible or hidden) then return nil end
  local when = format_matches(div.attributes["when-format"])
  local unless = format_matches(div.attributes["unless-format"])
  local matched = (when == nil or when) and not (unless == true)
  local show = (visible and matched) or (hidden and not matched)
  if show then return div.content else return {} end
end

-- Callouts (https://quarto.org/docs/authoring/callouts.html): a titled box in both formats
-- (Quarto's Typst output calls its `callout()` function: a bordered block, title above body).
local function callout(div)
  local kind = nil
  for _, cls in ipairs(div.classes) do
    local k = cls:match("^callout%-(.+)$")
    if k then kind = k end
  end
  if kind == nil then return nil end
  local title = div.attributes["title"] or (kind:sub(1, 1):upper() .. kind:sub(2))
  if is_html then
    local out = pandoc.List({pandoc.RawBlock("html",
      '<div class="callout callout-style-default callout-' .. kind .. ' callout-titled">'
      .. '<div class="callout-header"><div class="callout-title-container">' .. title .. '</div></div>'
      .. '<div class="callout-body-container callout-body">')})
    out:extend(div.content)
    out:insert(pandoc.RawBlock("html", "</div></div>"))
    return out
  end
  local escaped = title:gsub("\\", "\\\\"):gsub('"', '\\"')
  local out = pandoc.List({pandoc.RawBlock("typst",
    '#block(breakable: false, width: 100%, stroke: 0.5pt, inset: 8pt)[#text(weight: "bold", "' .. escaped
    .. '")\n')})
  out:extend(div.content)
  out:insert(pandoc.RawBlock("typst", "]"))
  return out
end

-- Images in Typst: Quarto resolves data: URIs into its media bag and writes them to files
-- (quarto-cli src/resources/filters/modules/mediabag.lua, for Typst since Quarto 1.5), and
-- writes `image(..., alt: ...)` from the image's alt text (fig-alt; quarto-cli PR #14110).
local media_dir = (PANDOC_STATE.output_file and pandoc.path.directory(PANDOC_STATE.output_file)) or "."
local written = {}

local function media_file(src)
  if not src:match("^data:") then return src end
  if written[src] then return written[src] end
  local mime, contents = pandoc.mediabag.fetch(src)
  local ext = ({["image/svg+xml"] = "svg", ["image/png"] = "png", ["image/jpeg"] = "jpg"})[mime] or "bin"
  local name = "media/" .. pandoc.utils.sha1(contents) .. "." .. ext
  pandoc.system.make_directory(pandoc.path.join({media_dir, "media"}), true)
  local fh = assert(io.open(pandoc.path.join({media_dir, name}), "wb"))
  fh:write(contents)
  fh:close()
  written[src] = name
  return name
end

local function typst_string(s)
  return '"' .. s:gsub("\\", "\\\\"):gsub('"', '\\"') .. '"'
end

local function typst_image(img)
  local alt = img.attributes["fig-alt"] or img.attributes["alt"] or pandoc.utils.stringify(img.caption)
  local args = typst_string(media_file(img.src))
  if alt and alt ~= "" then args = args .. ", alt: " .. typst_string(alt) end
  local width = img.attributes["width"]
  if width then args = args .. ", width: " .. width end
  return "image(" .. args .. ")"
end

local function figure(fig)
  if is_html then return nil end
  local img = nil
  fig.content:walk({Image = function(el) img = el end})
  if img == nil then return nil end
  local caption = pandoc.write(pandoc.Pandoc(fig.caption.long), "typst")
  return pandoc.RawBlock("typst", "#figure(" .. typst_image(img) .. ", caption: [" .. caption .. "])")
end

local function image(img)
  if is_html then return nil end
  return pandoc.RawInline("typst", "#box(" .. typst_image(img) .. ")")
end

-- HTML table processing (https://quarto.org/docs/authoring/tables.html): unless
-- `html-table-processing: none`, Quarto reads the tables of raw HTML blocks into Pandoc tables,
-- in every format (so a raw HTML table would reach the PDF as well).
local function html_tables(doc)
  local setting = doc.meta["html-table-processing"]
  if setting ~= nil and pandoc.utils.stringify(setting) == "none" then return nil end
  return doc:walk({RawBlock = function(raw)
    if raw.format == "html" and raw.text:match("<table") then
      return pandoc.read(raw.text, "html").blocks
    end
  end})
end

return {
  {Pandoc = html_tables},
  {Div = conditional},
  {Div = callout},
  {Figure = figure},
  {Image = image},
}
