# SPDX-License-Identifier: MIT
# BO_SYNC FLUSH cost against range size, log-log: the exact-range sync on
# dirty and on clean granules, and the whole-BO flush that a begin/end
# (dma-buf style) design needs after writing the same range. One colour per
# guest. Run by bench/report.sh:
#   gnuplot -e "dir='DIR'; archs='x86_64 arm64'" bench/flush-cost.gp
# reads DIR/flush-cost-ARCH.dat (size, then medians and quartiles in us) and
# writes DIR/flush-cost.png and DIR/flush-cost.svg.

data(i) = sprintf("%s/flush-cost-%s.dat", dir, word(archs, i))
n = words(archs)

set logscale xy
set xrange [40:100000000]
set xtics ("64 B" 64, "4 KiB" 4096, "64 KiB" 65536, "1 MiB" 1048576, \
	"16 MiB" 16777216, "64 MiB" 67108864)
set ytics ("1 µs" 1, "10 µs" 10, "100 µs" 100, "1 ms" 1000, "10 ms" 10000, \
	"100 ms" 100000, "1 s" 1000000, "10 s" 10000000)
set xlabel "range written and flushed, in a 64 MiB write-back BO"
set ylabel "time per call: median, bars from q1 to q3"
set title "BO_SYNC FLUSH cost against range size (QEMU TCG guests)"
set grid xtics ytics
set key bottom right box opaque

do for [fmt in "png svg"] {
	if (fmt eq "png") {
		set terminal pngcairo noenhanced size 960,640 font "sans,10"
	} else {
		set terminal svg noenhanced size 960,640 font "sans,10" background "white"
	}
	set output sprintf("%s/flush-cost.%s", dir, fmt)
	plot for [i = 1:n] data(i) using 1:6:7:8 with yerrorlines lc i lw 2 dt 3 pt 5 \
		title sprintf("%s: whole BO after writing the range (begin/end baseline)", \
		word(archs, i)), \
	     for [i = 1:n] data(i) using 1:2:3:4 with yerrorlines lc i lw 2 pt 7 \
		title sprintf("%s: exact range, dirty granules", word(archs, i)), \
	     for [i = 1:n] data(i) using 1:5 with linespoints lc i lw 1 dt 2 pt 6 \
		title sprintf("%s: exact range, clean granules", word(archs, i))
	unset output
}
