module poolsim/probe

go 1.19
