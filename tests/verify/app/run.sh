#!/bin/sh
echo "$GREETING from run.sh"
