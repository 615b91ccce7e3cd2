module poolsim/oracle

go 1.19

require poolsim/probe v0.0.0

// The probe counts for the oracle (one implementation); it lives in the
// same tree, so nothing is ever downloaded.
replace poolsim/probe => ../../probe
