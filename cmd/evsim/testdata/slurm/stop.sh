#!/bin/sh
# stop.sh - stop what start.sh started: cancel the private cluster's jobs (with the
# linuxproc tracker a job's processes are not slurmd's children and would outlive it),
# then TERM (after 15 s KILL) each daemon start.sh recorded, by PID, only if that PID
# still runs the same process (its start time in /proc matches). Never by name.
set -u

base=${EVSIM_SLURM_DIR:-/var/spool/evsim-slurm}
rec=$base/started
log() { echo "[stop.sh $(date +%T)] $*"; }
[ "$(id -u)" = 0 ] || { log "must run as root"; exit 1; }
export SLURM_CONF="$base/slurm.conf"

# same PID STARTTIME: PID is that very process, and not a zombie.
same() {
	[ -r "/proc/$1/stat" ] || return 1
	s=$(awk '{print $3" "$22}' "/proc/$1/stat" 2>/dev/null) || return 1
	[ "${s%% *}" != Z ] && [ "${s#* }" = "$2" ]
}

if [ -s "$rec/slurmctld.pid" ] && read -r p s <"$rec/slurmctld.pid" && same "$p" "$s"; then
	jobs=$(squeue -h -o %A 2>/dev/null | tr '\n' ' ')
	if [ -n "$(echo "$jobs" | tr -d ' ')" ]; then
		log "scancel $jobs"
		scancel $jobs 2>/dev/null || true
		for _ in $(seq 1 50); do
			[ -z "$(squeue -h 2>/dev/null)" ] && break
			sleep 0.2
		done
	fi
fi

status=0
for name in slurmd slurmctld munged; do
	f=$rec/$name.pid
	[ -s "$f" ] || continue
	read -r pid st <"$f"
	if ! same "$pid" "$st"; then
		log "$name: pid $pid is gone"
		rm -f "$f"
		continue
	fi
	log "$name: kill -TERM $pid"
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 1 75); do
		same "$pid" "$st" || break
		sleep 0.2
	done
	if same "$pid" "$st"; then
		log "$name: still running, kill -KILL $pid"
		kill -KILL "$pid" 2>/dev/null
		sleep 0.5
	fi
	if same "$pid" "$st"; then
		log "$name: pid $pid still running"
		status=1
	else
		rm -f "$f"
	fi
done
log "done"
exit $status
