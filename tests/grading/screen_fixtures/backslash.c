/* A backslash-newline splits the directive's name. */
#inc\
lude "../../phase2-locks/fault.c"
