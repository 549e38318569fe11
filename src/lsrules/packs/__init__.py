"""Rule packs a ruleset includes with `extends:`, checked in pure Python before its own rules."""
