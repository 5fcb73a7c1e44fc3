import Broker
print("needletail")
