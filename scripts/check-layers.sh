#!/usr/bin/env bash
# Fail when a library module imports a module of a higher layer.
#
# Layers point one way: cli → run → issue/replay → bundle → redact/collect → shared types. A module
# may use modules of its own layer or below, never above. The table below is the one place the
# layers are written down (docs/design.md shows the same picture); a new top-level module must
# be added to it, or this check fails.
#
# Usage: scripts/check-layers.sh [SRC_DIR]   (default: src)
set -euo pipefail
cd "$(dirname "$0")/.."
src="${1:-src}"

# module path (as written after `crate::`) → layer; higher numbers are higher layers.
# `bundle::manifest` is the manifest's record types: shared, below the bundle code itself.
layers='
cli              5
run              4
fleet            4
issue            3
replay           3
index            3
bundle           2
redact           1
collect          1
policy           1
spec             0
check            0
checks           0
facts            0
completeness     0
item             0
sanitize         0
seal             0
atomic           0
bundle::manifest 0
'

LAYERS="$layers" SCRIPT="$0" perl -e '
use strict;
use warnings;

my %rank;
for (split /\n/, $ENV{LAYERS}) {
    my ($m, $r) = split " ";
    $rank{$m} = $r if defined $r;
}
my $src = shift @ARGV;
my @files = split /\n/, `find "$src" -name "*.rs" | sort`;
my $bad = 0;

# The module a file belongs to: `src/run/plan.rs` → run, `src/bundle/manifest.rs` →
# bundle::manifest; the binary (main.rs, cli/) is cli.
sub module_of {
    my ($path) = @_;
    (my $rel = $path) =~ s{^\Q$src\E/}{};
    return "lib" if $rel eq "lib.rs";
    return "cli" if $rel eq "main.rs";
    $rel =~ s{\.rs$}{};
    $rel =~ s{/mod$}{};
    my @parts = split m{/}, $rel;
    my $two = @parts > 1 ? "$parts[0]::$parts[1]" : "";
    return $two if $two ne "" && exists $rank{$two};
    return $parts[0];
}

# The module an imported path names: `bundle::manifest::X` → bundle::manifest, `bundle::X`
# → bundle, `{a, b}` → each of a and b.
sub targets {
    my ($rest) = @_;
    if ($rest =~ /^\{/) {
        my ($depth, $item, @out) = (0, "");
        for my $c (split //, $rest) {
            if ($c eq "{") { $depth++; next if $depth == 1; }
            if ($c eq "}") { $depth--; last if $depth == 0; }
            if ($c eq "," && $depth == 1) { push @out, targets($item); $item = ""; next; }
            $item .= $c;
        }
        push @out, targets($item);
        return @out;
    }
    $rest =~ s/^\s+//;
    my ($first) = $rest =~ /^(\w+)/ or return ();
    return () if $first eq "self";
    (my $after = substr($rest, length $first)) =~ s/^\s+//;
    if ($after =~ /^::\s*(\w+)/ && exists $rank{"${first}::$1"}) {
        return "${first}::$1";
    }
    if ($after =~ /^::\s*\{/) {
        my @inner = targets(substr($after, index($after, "{")));
        my @sub = grep { exists $rank{"${first}::$_"} } @inner;
        return map { exists $rank{"${first}::$_"} ? "${first}::$_" : $first } @inner
            if @inner && @sub == @inner;
    }
    return $first;
}

for my $file (@files) {
    my $from = module_of($file);
    next if $from eq "lib" || $from eq "cli";
    unless (exists $rank{$from}) {
        print "$file: module `$from` is not in the layer table of $ENV{SCRIPT}\n";
        $bad = 1;
        next;
    }
    open my $fh, "<", $file or die "$file: $!";
    my $text = do { local $/; <$fh> };
    close $fh;
    # Comments (doc links included) are not imports.
    $text =~ s{//[^\n]*}{}g;
    my @paths;
    while ($text =~ /\bcrate::/g) {
        push @paths, [pos($text), substr($text, pos($text), 400)];
    }
    # A sub-module with a layer of its own reaches its parent through `super::`.
    if ($from =~ /^(\w+)::/) {
        my $parent = $1;
        while ($text =~ /\bsuper::/g) {
            push @paths, [pos($text), "$parent"];
        }
    }
    for my $p (@paths) {
        my ($at, $rest) = @$p;
        my $line = 1 + (() = substr($text, 0, $at) =~ /\n/g);
        for my $to (targets($rest)) {
            next if $to eq $from;
            unless (exists $rank{$to}) {
                print "$file:$line: imports `$to`, which is not in the layer table of $ENV{SCRIPT}\n";
                $bad = 1;
                next;
            }
            if ($rank{$to} > $rank{$from}) {
                print "$file:$line: `$from` (layer $rank{$from}) imports `$to` (layer $rank{$to}), a higher layer\n";
                $bad = 1;
            }
        }
    }
}
exit $bad;
' "$src"
echo "layers: no import points up"
