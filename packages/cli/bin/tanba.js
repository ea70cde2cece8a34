#!/usr/bin/env node
// The installed `tanba` command. It lives outside dist/ so that a workspace install, which
// links bins before anything is built, finds it; it runs the built command line.
import '../dist/bin.js'
