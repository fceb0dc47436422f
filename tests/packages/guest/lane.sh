# shellcheck shell=dash
# The packages stage's hook into /init (vm/init.sh sources it once the base
# modules are loaded, here none): ncgpu and vgem are loaded with modprobe
# from /lib/modules/RELEASE, where the ncgpu.ko that DKMS built sits next
# to the Debian modules it needs, indexed by depmod. The tool tests run the
# packaged ncgpu.

export NCGPU_TOOL=/usr/bin/ncgpu

# Replaces vm/init.sh's: $1 is the module's file name, $2 its parameters.
insmod_checked() {
	msg=$(modprobe "${1%.ko}" $2 2>&1 </dev/null)
	rc=$?
	[ -n "$msg" ] && echo "$msg" | comment
	check $rc "modprobe ${1%.ko}${2:+ $2}"
	return $rc
}
