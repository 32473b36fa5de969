<!-- legacy html comment
x();
