# SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
# Benign corpus, Perl: requires every XS module installed (every auto/**.so
# under @INC) in one process; prints how many shared objects DynaLoader
# loaded. A module that fails to load is skipped.
use strict;
use warnings;
use File::Find;

my %modules;
for my $dir (grep { -d "$_/auto" } @INC) {
	find({ no_chdir => 1, wanted => sub {
		return unless m{/auto/(.+)/[^/]+\.so$};
		(my $m = $1) =~ s{/}{::}g;
		$modules{$m} = 1;
	} }, "$dir/auto");
}
for my $m (sort keys %modules) {
	next if $m eq 'threads' || $m eq 'threads::shared'; # must come first, or not at all
	local $SIG{__WARN__} = sub { };
	eval "require $m; 1" or print STDERR "skipped $m\n";
}
require DynaLoader;
printf "perl: %d XS objects loaded\n", scalar @DynaLoader::dl_shared_objects;
