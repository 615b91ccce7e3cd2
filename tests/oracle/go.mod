module poolsim/oracle

go 1.19
