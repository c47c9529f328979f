# Sphinx configuration shared by every review in this workspace, and by the user guide in docs/.
# A board may change anything here; review-specific settings (title, marking, PDFs) come from
# each review's review.toml through the casereview extension.

extensions = ["myst_parser", "sphinx_click", "casereview.sphinxext"]

# The user guide's name; each review takes its own from its review.toml.
project = "casereview"
html_title = "casereview user guide"

language = "en_GB"
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build", "README.md", ".venv", ".nox"]
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

html_theme = "alabaster"
html_show_sourcelink = False
html_copy_source = False
html_theme_options = {"show_powered_by": False}

latex_engine = "lualatex"  # prints every script; casereview sets the fonts
latex_elements = {
    "papersize": "a4paper",
    "pointsize": "11pt",
    "printindex": "",
    "sphinxsetup": "hmargin={2cm,2cm}, vmargin={2.5cm,2.5cm}",
}
latex_show_urls = "footnote"
