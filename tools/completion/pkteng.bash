# SPDX-License-Identifier: BSD-2-Clause
# bash completion for pkteng: commands, each command's options, interface names for --dev,
# modes, backends and other value lists, and files or directories where a command takes
# them. Options and value lists are read from `pkteng CMD --help` (once per shell), so the
# completion follows the binary it completes for.

declare -gA _pkteng_help_cache

# _pkteng_help BIN CMD: CMD's --help (the command list for CMD ''), with quoted command
# lines ('pkteng client', `pkteng ethtool -K`) blanked: they name other commands' options.
_pkteng_help()
{
	local key="$1|$2"
	if [[ -z ${_pkteng_help_cache[$key]+set} ]]; then
		_pkteng_help_cache[$key]=$("$1" ${2:+"$2"} --help 2>/dev/null |
			sed -e 's/`[^`]*`/ /g' -e "s/\(^\|[^A-Za-z]\)'[^']*'\([^A-Za-z]\|\$\)/\1 \2/g")
	fi
	REPLY=${_pkteng_help_cache[$key]}
}

_pkteng_options()
{
	grep -oE '(^|[][ (|,/])--?[A-Za-z0-9][A-Za-z0-9-]*' <<<"$1" | sed -E 's/^[^-]+//'
	echo --help
}

# Options followed by one space and a value (-t SECONDS, --bin [NAME=]PATH), or short ones
# whose long form is (-m, --mode MODE).
_pkteng_takes_value()
{
	grep -qE -- "(^|[][ (|,/])$2(, --[A-Za-z0-9-]+)? [^ -]" <<<"$1"
}

_pkteng()
{
	local bin=${COMP_WORDS[0]/#\~/$HOME} cur=${COMP_WORDS[COMP_CWORD]} prev="" cmd="" words
	local cword=$COMP_CWORD REPLY help
	COMPREPLY=()
	((cword > 0)) && prev=${COMP_WORDS[cword - 1]}
	# --opt=value: bash splits it into --opt, =, value.
	if [[ $cur == "=" ]]; then
		prev=${COMP_WORDS[cword - 1]} cur=""
	elif [[ $prev == "=" ]] && ((cword > 1)); then
		prev=${COMP_WORDS[cword - 2]}
	fi
	_pkteng_help "$bin" ""
	local cmds
	cmds=$(sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z0-9-]*\) .*/\1/p' <<<"$REPLY")
	if ((cword == 1)); then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--help --version -h -V" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$cmds help" -- "$cur"))
		fi
		return 0
	fi
	cmd=${COMP_WORDS[1]}
	if [[ $cmd == help || $cmd == --help || $cmd == -h ]]; then
		((cword == 2)) && COMPREPLY=($(compgen -W "$cmds" -- "$cur"))
		return 0
	fi
	grep -qx -- "$cmd" <<<"$cmds" || return 0
	_pkteng_help "$bin" "$cmd"
	help=$REPLY

	# The verbs of the commands that have them.
	if ((cword == 2)); then
		case $cmd in
		registry) COMPREPLY=($(compgen -W "serve list" -- "$cur")) && return 0 ;;
		xdp) COMPREPLY=($(compgen -W "attach stats detach run" -- "$cur")) && return 0 ;;
		esac
	fi

	if [[ $prev == -* ]] && _pkteng_takes_value "$help" "$prev"; then
		local values
		case $cmd:$prev in
		*:--dev | *:-d)
			local ifs=(/sys/class/net/*)
			[[ -e ${ifs[0]} ]] && COMPREPLY=($(compgen -W "${ifs[*]##*/}" -- "$cur"))
			return 0
			;;
		client:--mode | client:-m)
			values=$(sed -n '/^Modes:/,/^[A-Z]/s/^  \([a-z][a-z0-9-]*\) .*/\1/p' <<<"$help")
			;;
		*:--backend) values="uring epoll" ;;
		*:--pcap | *:--replay | *:--file | *:--compare | *:--ready-file | *:--bin | \
			plot:--out | plot:-o | report:--out | report:-o)
			compopt -o filenames 2>/dev/null
			COMPREPLY=($(compgen -f -- "$cur"))
			return 0
			;;
		*:--out | *:-o)
			compopt -o filenames 2>/dev/null
			COMPREPLY=($(compgen -d -- "$cur"))
			return 0
			;;
		*)
			# A list in the help: --proto udp|tcp|icmp|raw, --kind box|series|cdf|forest.
			values=$(grep -oE -- "$prev [a-z0-9-]+(\|[a-z0-9-]+)+" <<<"$help" | head -n1)
			values=${values#"$prev "}
			values=${values//|/ }
			;;
		esac
		[[ -n $values ]] && COMPREPLY=($(compgen -W "$values" -- "$cur"))
		return 0
	fi

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(_pkteng_options "$help" | LC_ALL=C sort -u)" -- "$cur"))
		return 0
	fi
	case $cmd in
	suite)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
		;;
	compare | report | plot)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -d -- "$cur"))
		;;
	client | resolve) COMPREPLY=($(compgen -A hostname -- "$cur")) ;;
	esac
	return 0
}

complete -F _pkteng pkteng
