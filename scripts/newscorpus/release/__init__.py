"""The release to the Hugging Face Hub: build a Hub-shaped folder, diff releases, push a tagged version.

One module a job: features (the datasets Features derived from schema/), tables (the release rows),
build, card (dataset card and datasheet figures), croissant, diff (annotation-level changelog), push.
"""
