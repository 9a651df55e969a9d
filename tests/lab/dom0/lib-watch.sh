# shellcheck shell=sh
# State-node watches that run for a whole scenario, cheaply: one
# xenstore-watch per node, started once, and its events counted at the
# end, instead of reading or polling the nodes after every step.
#
# Each event is logged with dom0's uptime and a tag the scenario sets
# (watch_tag), e.g. the round it is in, so that a write can be traced to
# the step that caused it. Tagging costs no fork: the reader is a shell
# loop of builtins, and the tag is a file it reads.
#
#   watch_start DIR NAME PATH [SECONDS]  watch PATH (default bound 86400 s)
#   watch_armed DIR SECONDS              wait until every watch has fired once
#   watch_tag DIR TAG...                 tag the events from now on
#   watch_stop DIR                       end them all
#   watch_count DIR NAME                 events after the first (the watch's
#                                        own registration event)
#   watch_events DIR NAME                those events: "UPTIME TAG PATH"
#
# POSIX sh; sourced after lib.sh.

# _watch_reader DIR: prefix each line of stdin with the uptime and the tag.
_watch_reader() {
	while IFS= read -r _wl; do
		read -r _wup _ </proc/uptime
		IFS= read -r _wt <"$1/tag" || _wt=-
		echo "$_wup $_wt $_wl"
	done
}

watch_tag() { _wd=$1; shift; echo "$*" >"$_wd/tag"; }

watch_start() {
	mkdir -p "$1"
	[ -f "$1/tag" ] || echo start >"$1/tag"
	{
		timeout "${4:-86400}" xenstore-watch "$3" 2>&1 &
		echo $! >"$1/$2.xpid"
		wait
	} | _watch_reader "$1" >"$1/$2.watch" &
	echo "$3" >"$1/$2.path"
	echo "$2" >>"$1/names"
}

watch_armed() {
	_wd=$1
	_wend=$(($(cut -d. -f1 /proc/uptime) + $2))
	while read -r _wn; do
		until [ -s "$_wd/$_wn.watch" ]; do
			[ "$(cut -d. -f1 /proc/uptime)" -lt "$_wend" ] || return 1
			sleep 0.2
		done
	done <"$_wd/names"
}

watch_stop() {
	[ -f "$1/names" ] || return 0
	while read -r _wn; do
		read -r _wp <"$1/$_wn.xpid" 2>/dev/null && kill "$_wp" 2>/dev/null
	done <"$1/names"
	# The readers end at their pipe's end; give them a moment.
	sleep 0.5
}

watch_events() { sed 1d "$1/$2.watch" 2>/dev/null; }

# Only lines naming the path count (xenstore-watch's own errors land in
# the same log and show in watch_events, but are not writes).
watch_count() {
	read -r _wp <"$1/$2.path" 2>/dev/null || { echo 0; return; }
	awk -v p="$_wp" '$NF == p { n++ } END { print (n > 1 ? n - 1 : 0) }' \
		"$1/$2.watch" 2>/dev/null || echo 0
}
