"""``dil console``: the rig operator's web console.

A web page served by this machine (Starlette on uvicorn, plain JavaScript and canvas) that shows
the loop, the vehicle, the driver's and the AI's inputs, the rig and the scenario live, and sends the
operator's actions as ``console/command`` messages on the bus. It never talks to the rig or the
runtime any other way, so a console that disconnects or crashes changes nothing in a run.
"""
