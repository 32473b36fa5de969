"simple";
'single';
"escapes \n\t\r\b\f\v\0 end";
"hex \x41\x7a";
"unicode \u00e9 \u{1F600} \uD83D\uDE00";
"lone \uD800 surrogate";
"octal \101\7";
"quote \" and \' and \\ backslash";
"line \
continuation";
"unknown \q escape";
`template \` backtick \${not} ${sub}`;
`multi
line`;
'€ é ü';
