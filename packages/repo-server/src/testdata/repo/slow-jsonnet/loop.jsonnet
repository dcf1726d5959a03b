// Never finishes: a tail-recursive loop without a base case.
local spin(n) = spin(n + 1) tailstrict;
spin(0)
