/* The digraph %: spells # */
%:include "../trim.c"
