#include <criterion/criterion.h>
Test(icmp4_error, placeholder) {}
