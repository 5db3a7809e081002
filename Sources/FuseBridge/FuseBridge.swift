import CFuseShim
import FastIOFS
