# Lists the failed tests of a .trx file, each with the first lines of its message (eng/test.sh prints them just
# before its summary line, so that the tail of a CI log names what failed).
function unxml(s) { gsub(/&lt;/, "<", s); gsub(/&gt;/, ">", s); gsub(/&quot;/, "\"", s); gsub(/&apos;/, "'", s); gsub(/&amp;/, "\\&", s); return s }
function flush() { if (name != "") { print "  FAILED " name; for (i = 1; i <= n && i <= 12; i++) print "      " lines[i]; if (n > 12) print "      ..." } name = ""; n = 0 }
/<UnitTestResult / && /outcome="Failed"/ {
  flush(); match($0, /testName="[^"]*"/); name = unxml(substr($0, RSTART + 10, RLENGTH - 11))
  if ($0 ~ /<Message>/) { inmsg = 1; sub(/.*<Message>/, "") } else next
}
name != "" && !inmsg && /<Message>/ { inmsg = 1; sub(/.*<Message>/, "") }
inmsg { done = sub(/<\/Message>.*/, ""); if ($0 ~ /[^ ]/) lines[++n] = unxml($0); if (done) { inmsg = 0; flush() } }
END { flush() }
/<\/UnitTestResult>/ && !inmsg { flush() }
